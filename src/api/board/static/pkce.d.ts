// Types of pkce.js (a browser ES module served as is) for the TypeScript tests that import it.
export interface OidcSettings {
  readonly authorizationUrl: string;
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly scopes: string;
  readonly token: 'access_token' | 'id_token';
}
export function randomToken(bytes?: number): string;
export function codeChallenge(verifier: string): Promise<string>;
export function authorizationRequestUrl(
  oidc: Pick<OidcSettings, 'authorizationUrl' | 'clientId' | 'scopes'>,
  request: { redirectUri: string; state: string; challenge: string },
): string;
export function readAuthorizationResponse(
  href: string,
  expectedState: string | null,
): { code: string } | { error: string } | undefined;
export function exchangeCode(
  oidc: Pick<OidcSettings, 'tokenUrl' | 'clientId' | 'token'>,
  grant: { code: string; verifier: string; redirectUri: string },
  fetchImpl?: typeof fetch,
): Promise<string>;
