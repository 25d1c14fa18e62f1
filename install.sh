#!/bin/sh
# Install runprov, checksum first: the binary is downloaded into a temporary directory, its
# SHA-256 is checked against the release's SHA256SUMS, it must run `--version`, and only then is
# it moved into place. On any failure nothing is installed and the exit code is non-zero.
#
#   curl -fsSL https://github.com/runprov/runprov/releases/latest/download/install.sh | sh
#
# Settings (environment variables):
#   RUNPROV_VERSION        a release such as 0.2.0 (default: latest)
#   RUNPROV_DOWNLOAD_BASE  where releases are: a URL or a directory (file://... or a plain path,
#                          e.g. a shared filesystem of an air-gapped cluster) holding
#                          <tag>/runprov-<target> and <tag>/SHA256SUMS, where <tag> is
#                          v<version> or latest (default: the GitHub releases of runprov/runprov)
#   RUNPROV_INSTALL_DIR    where the binary goes (default: ~/.local/bin)
set -eu

say() { printf 'install.sh: %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}

repo_releases="https://github.com/runprov/runprov/releases"
version=${RUNPROV_VERSION:-latest}
version=${version#v}
install_dir=${RUNPROV_INSTALL_DIR:-${HOME:?HOME is not set; set RUNPROV_INSTALL_DIR}/.local/bin}

case "$version" in
  latest | [0-9]*) ;;
  *) die "RUNPROV_VERSION='$version' is not a version (write e.g. 0.2.0, or latest)" ;;
esac
case "$version" in
  *[!A-Za-z0-9.+-]*) die "RUNPROV_VERSION='$version' has characters a version cannot have" ;;
esac
if [ "$version" = latest ]; then tag=latest; else tag="v$version"; fi

if [ -n "${RUNPROV_DOWNLOAD_BASE:-}" ]; then
  base="${RUNPROV_DOWNLOAD_BASE%/}/$tag"
elif [ "$tag" = latest ]; then
  base="$repo_releases/latest/download"
else
  base="$repo_releases/download/$tag"
fi

# The release asset for this machine.
os=$(uname -s)
arch=$(uname -m)
case "$os" in
  Linux) os_part=unknown-linux-gnu ;;
  Darwin) os_part=apple-darwin ;;
  *) die "unsupported operating system '$os': runprov ships for Linux and macOS" ;;
esac
case "$arch" in
  x86_64 | amd64) arch_part=x86_64 ;;
  aarch64 | arm64) arch_part=aarch64 ;;
  *) die "unsupported architecture '$arch': runprov ships for x86_64 and aarch64" ;;
esac
asset="runprov-$arch_part-$os_part"

# fetch URL DEST: copy one file from a URL or a directory.
fetch() {
  case "$1" in
    file://*) cp -- "${1#file://}" "$2" ;;
    http://* | https://*)
      if command -v curl >/dev/null 2>&1; then
        curl --fail --silent --show-error --location --proto '=https,http' --retry 2 \
          --connect-timeout 20 -o "$2" -- "$1"
      elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$2" -- "$1"
      else
        die "neither curl nor wget is installed; install one, or copy the release to a directory and set RUNPROV_DOWNLOAD_BASE to it"
      fi
      ;;
    *) cp -- "$1" "$2" ;;
  esac
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum -- "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 -- "$1" | cut -d' ' -f1
  else
    die "no sha256sum or shasum to verify the download with; install coreutils"
  fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runprov-install.XXXXXX") || die "cannot create a temporary directory"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "downloading $asset ($tag) from $base"
fetch "$base/SHA256SUMS" "$tmp/SHA256SUMS" ||
  die "could not download $base/SHA256SUMS: is RUNPROV_VERSION ($version) a published release, and is RUNPROV_DOWNLOAD_BASE right?"
fetch "$base/$asset" "$tmp/$asset" ||
  die "could not download $base/$asset: this release has no binary for $arch_part-$os_part, or the download was interrupted; nothing was installed"

want=$(awk -v f="$asset" '($2 == f || $2 == "*" f) { print $1; exit }' "$tmp/SHA256SUMS")
[ -n "$want" ] || die "SHA256SUMS of $tag lists no $asset; nothing was installed"
case "$want" in
  *[!0-9a-f]*) die "SHA256SUMS has a malformed checksum for $asset; nothing was installed" ;;
esac
got=$(sha256 "$tmp/$asset")
[ "$got" = "$want" ] ||
  die "checksum mismatch for $asset: expected $want, got $got (a corrupt or tampered download); nothing was installed"

chmod 755 "$tmp/$asset"
installed_version=$("$tmp/$asset" --version 2>/dev/null) ||
  die "the downloaded $asset does not run on this machine; nothing was installed"

mkdir -p -- "$install_dir" || die "cannot create $install_dir; set RUNPROV_INSTALL_DIR to a writable directory"
# Copy next to the target, then rename: a running runprov is never half-overwritten.
staged="$install_dir/.runprov.install.$$"
if ! cp -- "$tmp/$asset" "$staged" 2>/dev/null; then
  rm -f -- "$staged"
  die "cannot write into $install_dir; set RUNPROV_INSTALL_DIR to a writable directory"
fi
if ! mv -f -- "$staged" "$install_dir/runprov"; then
  rm -f -- "$staged"
  die "cannot move runprov into $install_dir"
fi

say "installed $installed_version as $install_dir/runprov (sha256 $got)"
case ":${PATH:-}:" in
  *":$install_dir:"*) ;;
  *) say "note: $install_dir is not on your PATH; add it, e.g. export PATH=\"$install_dir:\$PATH\"" ;;
esac
