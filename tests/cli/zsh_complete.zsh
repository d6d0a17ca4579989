#!/usr/bin/env zsh
# Prints what zsh's completion system offers for LINE followed by TAB, one
# candidate a line, sorted: an interactive zsh -f runs on a pseudo-terminal
# with DIR first on its fpath and compinit loaded, as a user's shell would,
# and every compadd that adds matches also prints them between markers.
# Usage: zsh -f zsh_complete.zsh DIR CWD DUMP LINE   (exit 1 on a timeout)
# DUMP: compinit's dump file; the first call writes it (about 3.5 s, reading
# every completion function on the fpath), later calls read it (0.5 s).
zmodload zsh/zpty zsh/zselect || exit 2
local dir=$1 cwd=$2 dump=$3 line=$4

zpty shell zsh -f -i
zpty -w shell "cd ${(q)cwd} && fpath=(${(q)dir} \$fpath) && autoload -U compinit && compinit -u -d ${(q)dump}"
# Calls that only compute (-O, -A, -D: store in an array) add nothing.
zpty -w shell 'compadd() {
  if (( ! ${@[(I)-[OAD]]} )); then
    local -a added; builtin compadd -O added "$@"
    local m; for m in $added; do print -rn -- "<<MA""TCH:$m>>"; done
  fi
  builtin compadd "$@"
}'
zpty -w shell 'finished() { print -rn -- "<<""FINISHED>>" }; zle -N finished; bindkey "^X" finished'
zpty -wn shell "$line"$'\t\x18'

local out chunk deadline=$((SECONDS + 20))
while [[ $out != *'<<FINISHED>>'* ]]; do
  (( SECONDS < deadline )) || { print -u2 "zsh_complete: timed out; output:\n$out"; exit 1 }
  zpty -rt shell chunk && out+=$chunk || zselect -t 5
done
zpty -d shell
print -rl -- ${(ou)${(M)${(s:>>:)out}##*<<MATCH:*}#*<<MATCH:}
