# shellcheck shell=bash
# Private apt downloads: `apt-get download` against a sources list, package lists and cache that live
# inside the test-asset cache. The machine's own apt configuration is read (for the mirror URI) but
# never written.
#
#   apt_private_download DEST SUITE COMPONENTS PACKAGE...
# Downloads PACKAGE(s) (names, optionally =version) from SUITE/COMPONENTS into DEST, reusing a .deb
# already there. Prints the paths of the .debs it provides, one per line.

# The first non-security mirror URI the machine is configured with (deb822 or one-line format).
apt_private_mirror() {
    local uri=""
    if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
        uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
            /etc/apt/sources.list.d/*.sources)
    fi
    if [[ -z "$uri" && -f /etc/apt/sources.list ]]; then
        uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) { print $i; exit } } }' \
            /etc/apt/sources.list)
    fi
    if [[ -z "$uri" ]]; then
        echo "apt-private: no Debian mirror URI found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list" >&2
        return 1
    fi
    printf '%s\n' "$uri"
}

apt_private_download() {
    local dest=$1 suite=$2 components=$3
    shift 3
    mkdir -p "$dest"
    local missing=()
    local pkg
    for pkg in "$@"; do
        local name=${pkg%%=*}
        if ! compgen -G "$dest/${name}_*.deb" >/dev/null; then missing+=("$pkg"); fi
    done
    if ((${#missing[@]})); then
        local root="$dest/.apt-$suite"
        mkdir -p "$root/lists/partial" "$root/cache/archives/partial" "$root/parts"
        local mirror
        mirror=$(apt_private_mirror) || return 1
        local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
        printf 'deb [signed-by=%s] %s %s %s\n' "$keyring" "$mirror" "$suite" "$components" >"$root/sources.list"
        local opts=(
            -o "Dir::Etc::SourceList=$root/sources.list"
            -o "Dir::Etc::SourceParts=$root/parts"
            -o "Dir::State::Lists=$root/lists"
            -o "Dir::Cache=$root/cache"
            -o "APT::Architecture=amd64"
            -o "APT::Architectures=amd64"
            -o "Acquire::Languages=none"
            -o "Debug::NoLocking=1"
            -o "APT::Sandbox::User=root"
        )
        # One update per run of the calling script ($$ is the script's PID, also inside the subshells that
        # command substitution creates), however many downloads it asks for.
        local stamp="$root/.updated" key="$$ $mirror $suite $components"
        if [[ ! -f "$stamp" || "$(<"$stamp")" != "$key" ]]; then
            echo "apt-private: updating $suite ($components) lists from $mirror" >&2
            apt-get "${opts[@]}" -qq update >&2 || { echo "apt-private: apt-get update for $suite failed" >&2; return 1; }
            printf '%s\n' "$key" >"$stamp"
        fi
        (cd "$dest" && apt-get "${opts[@]}" -qq download "${missing[@]}" >&2) ||
            { echo "apt-private: download of ${missing[*]} from $suite failed" >&2; return 1; }
    fi
    for pkg in "$@"; do
        local name=${pkg%%=*}
        compgen -G "$dest/${name}_*.deb" | sort | tail -n 1
    done
}
