# tflint configuration for terraform/ (scripts/deploy/terraform.sh runs `tflint --recursive`).
#
# Only the terraform ruleset bundled with tflint is enabled: the AWS ruleset
# (tflint-ruleset-aws) is distributed as a GitHub release binary, and its Go module is not
# served by the Go module proxy, so it cannot be installed here; see docs/DEPLOY.md.

config {
  # Lint the local modules as they are called from the root module, too.
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}
