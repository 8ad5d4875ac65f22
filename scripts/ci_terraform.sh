#!/usr/bin/env bash
# Static checks and offline tests of the Terraform under infrastructure/terraform.
#
#   terraform fmt -check -recursive   (once, on the whole tree)
#   for modules/stack (the wiring shared by every environment) and for each
#   environment (dev, prod):
#     terraform init -backend=false -input=false
#     terraform validate
#     terraform test                   (mock AWS provider: no credentials, no network)
#
# Nothing is written into the working tree: init/validate/test run on a copy of
# infrastructure/terraform in a temporary directory, which is removed on exit
# (so no .terraform/ directories or .terraform.lock.hcl files appear in the repo).
#
# When /opt/tf-plugins exists (an offline mirror of the hashicorp providers),
# TF_CLI_CONFIG_FILE points at infrastructure/terraform/terraformrc.offline so
# that providers are installed from the mirror only.
#
# Skips (exit 0) when terraform is not installed; exits non-zero on any failure.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tf_root="${repo_root}/infrastructure/terraform"
mirror_dir="${TF_PLUGIN_MIRROR_DIR:-/opt/tf-plugins}"
environments=(dev prod)
# Configurations checked with init/validate/test, relative to infrastructure/terraform.
configs=(modules/stack)
for env in "${environments[@]}"; do configs+=("environments/${env}"); done

if ! command -v terraform >/dev/null 2>&1; then
  echo "ci_terraform: SKIPPED - terraform is not on PATH, so fmt/init/validate/test of infrastructure/terraform were not run."
  exit 0
fi

if [[ ! -d "${tf_root}" ]]; then
  echo "ci_terraform: ${tf_root} not found" >&2
  exit 1
fi

if [[ -d "${mirror_dir}" ]]; then
  if [[ "${mirror_dir}" == "/opt/tf-plugins" ]]; then
    export TF_CLI_CONFIG_FILE="${tf_root}/terraformrc.offline"
  else
    # Same configuration, pointed at a different mirror location.
    generated_rc="$(mktemp)"
    sed "s#/opt/tf-plugins#${mirror_dir}#" "${tf_root}/terraformrc.offline" >"${generated_rc}"
    export TF_CLI_CONFIG_FILE="${generated_rc}"
  fi
  echo "ci_terraform: installing providers from the offline mirror ${mirror_dir} (TF_CLI_CONFIG_FILE=${TF_CLI_CONFIG_FILE})"
elif [[ -n "${TF_CLI_CONFIG_FILE:-}" && ! -f "${TF_CLI_CONFIG_FILE}" ]]; then
  # A dangling TF_CLI_CONFIG_FILE only produces warnings; drop it.
  unset TF_CLI_CONFIG_FILE
fi

echo "ci_terraform: $(terraform version | head -n 1)"

export TF_IN_AUTOMATION=1
export TF_INPUT=0
unset TF_WORKSPACE

work_dir="$(mktemp -d "${TMPDIR:-/tmp}/ci_terraform.XXXXXX")"
cleanup() {
  rm -rf "${work_dir}"
  if [[ -n "${generated_rc:-}" ]]; then rm -f "${generated_rc}"; fi
}
trap cleanup EXIT

# Copy the tree without any local .terraform state a developer may have.
tar -C "${tf_root}" --exclude='.terraform' --exclude='*.tfstate' --exclude='*.tfstate.*' -cf - . | tar -C "${work_dir}" -xf -
# Provider plugins are shared between configurations through a cache dir.
export TF_PLUGIN_CACHE_DIR="${work_dir}/.plugin-cache"
mkdir -p "${TF_PLUGIN_CACHE_DIR}"

failures=()

step() {
  local label="$1"
  shift
  echo "ci_terraform: ${label}"
  if ! "$@"; then
    echo "ci_terraform: FAILED: ${label}" >&2
    failures+=("${label}")
    return 1
  fi
}

step "terraform fmt -check -recursive infrastructure/terraform" \
  terraform fmt -check -recursive -diff "${tf_root}" || true

for config in "${configs[@]}"; do
  config_dir="${work_dir}/${config}"
  label="${config#environments/}"
  if [[ ! -d "${config_dir}" ]]; then
    echo "ci_terraform: FAILED: ${config} is missing" >&2
    failures+=("${config} missing")
    continue
  fi
  export TF_DATA_DIR="${work_dir}/.data/${config//\//_}"
  step "[${label}] terraform init -backend=false" \
    terraform -chdir="${config_dir}" init -backend=false -input=false -no-color || continue
  step "[${label}] terraform validate" \
    terraform -chdir="${config_dir}" validate -no-color || true
  step "[${label}] terraform test" \
    terraform -chdir="${config_dir}" test -no-color || true
done
unset TF_DATA_DIR

if ((${#failures[@]} > 0)); then
  echo "ci_terraform: ${#failures[@]} step(s) failed:" >&2
  printf '  - %s\n' "${failures[@]}" >&2
  exit 1
fi

echo "ci_terraform: all terraform checks passed (${configs[*]})"
