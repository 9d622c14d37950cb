#!/usr/bin/env bash
# Make sure Graphviz's `dot` program is on PATH; the Python `graphviz` package only writes DOT text.
set -u
command -v dot >/dev/null 2>&1 && exit 0
echo "Graphviz 'dot' not found; trying to install it" >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo -n"
if command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get install -y -qq graphviz >/dev/null 2>&1 \
        || { $sudo apt-get update -qq >/dev/null 2>&1 && $sudo apt-get install -y -qq graphviz >/dev/null; }
elif command -v brew >/dev/null 2>&1; then
    brew install graphviz
elif command -v dnf >/dev/null 2>&1; then
    $sudo dnf install -y graphviz
elif command -v conda >/dev/null 2>&1; then
    conda install -y -c conda-forge graphviz
fi
if ! command -v dot >/dev/null 2>&1; then
    echo "Could not install Graphviz. Install it yourself (apt-get install graphviz," \
         "brew install graphviz or conda install graphviz); pictures need it." >&2
    exit 1
fi
