/**
 * What each built-in risk means and how to fix it: the help text of SARIF rules, the description
 * and mitigation of DefectDojo findings, the remediation of OCSF vulnerabilities. A plugin's risk
 * gets a generic text naming it.
 */
export interface RiskRule {
  readonly title: string;
  readonly help: string;
  /** CWE id when one fits. */
  readonly cwe?: number;
}

const header = (name: string, why: string, fix: string): RiskRule => ({
  title: `Missing or ineffective ${name} header`,
  help: `${why} Fix: ${fix}`,
  cwe: 693,
});

const RULES: Readonly<Record<string, RiskRule>> = {
  'http-missing-hsts': header(
    'Strict-Transport-Security',
    'The HTTPS response does not tell browsers to insist on HTTPS, so a first visit over HTTP can be downgraded or intercepted.',
    'send Strict-Transport-Security with max-age of at least 15552000 (180 days).',
  ),
  'http-missing-csp': header(
    'Content-Security-Policy',
    'Without a policy the browser runs any script the page ends up with, which makes cross-site scripting easier to exploit.',
    'send a Content-Security-Policy that lists the sources the page needs (start with default-src self).',
  ),
  'http-missing-x-content-type-options': header(
    'X-Content-Type-Options',
    'Browsers may guess (sniff) the content type and run a response as script or style.',
    'send X-Content-Type-Options: nosniff.',
  ),
  'http-missing-x-frame-options': header(
    'X-Frame-Options',
    'The page may be framed by another site (clickjacking).',
    'send X-Frame-Options: DENY (or SAMEORIGIN), or a CSP frame-ancestors directive.',
  ),
  'tls-certificate-expired': {
    title: 'TLS certificate expired',
    help: 'Clients refuse or warn about the connection. Fix: renew the certificate and automate renewal.',
    cwe: 298,
  },
  'tls-certificate-expiring': {
    title: 'TLS certificate expires within 30 days',
    help: 'The certificate will soon be refused by clients. Fix: renew it before it expires.',
    cwe: 298,
  },
  'tls-certificate-untrusted': {
    title: 'TLS certificate not trusted',
    help: 'The certificate is self-signed, for another name, or its chain does not verify. Fix: serve a certificate from a trusted CA that names the host.',
    cwe: 295,
  },
  's3-public-access-not-blocked': {
    title: 'S3 bucket without full public access block',
    help: 'A policy or ACL could make the bucket public. Fix: turn on all four S3 Block Public Access settings.',
    cwe: 732,
  },
  's3-no-default-encryption': {
    title: 'S3 bucket without default encryption',
    help: 'Objects may be stored unencrypted. Fix: set default encryption (SSE-S3 or SSE-KMS).',
    cwe: 311,
  },
  's3-versioning-disabled': {
    title: 'S3 bucket without versioning',
    help: 'Overwritten or deleted objects cannot be recovered. Fix: enable versioning.',
  },
  's3-public-bucket-policy': {
    title: 'S3 bucket policy allows public access',
    help: 'Anyone may use the actions the policy grants. Fix: remove the Principal "*" statements or restrict them with conditions.',
    cwe: 732,
  },
  'iam-user-no-mfa': {
    title: 'IAM user without MFA',
    help: 'A stolen password is enough to sign in. Fix: require an MFA device for the user.',
    cwe: 308,
  },
  'iam-access-key-old': {
    title: 'IAM access key older than the limit',
    help: 'Long-lived keys are more likely to have leaked. Fix: rotate the key and delete the old one.',
    cwe: 324,
  },
  'iam-user-admin-policy': {
    title: 'IAM user with administrator access',
    help: 'The user can do anything in the account. Fix: grant only the permissions the user needs.',
    cwe: 250,
  },
  'sg-open-ssh': {
    title: 'Security group allows SSH from anywhere',
    help: 'Port 22 is open to 0.0.0.0/0 or ::/0. Fix: allow only known addresses or use a bastion or SSM.',
    cwe: 284,
  },
  'sg-open-rdp': {
    title: 'Security group allows RDP from anywhere',
    help: 'Port 3389 is open to 0.0.0.0/0 or ::/0. Fix: allow only known addresses.',
    cwe: 284,
  },
  'sg-open-all-ports': {
    title: 'Security group allows all ports from anywhere',
    help: 'Every port is open to the internet. Fix: allow only the ports and addresses the service needs.',
    cwe: 284,
  },
};

/** The rule of a risk name; a generic one for names scanq does not know (plugins). Pure. */
export function ruleOf(name: string): RiskRule {
  return (
    RULES[name] ?? {
      title: name,
      help: `Reported by a scanq capability as "${name}"; see the capability's documentation for what it means and how to fix it.`,
    }
  );
}
