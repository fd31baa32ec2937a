#!/usr/bin/env bash
# make mutation: mutmut 3 on gateway/pipeline/, each mutant judged by the acceptance suite in-process.
# Config: [tool.mutmut] in pyproject.toml (mutmut runs, per mutant, only the scenarios that reached
# the mutated function, with -x). Work folder: mutants/ (gitignored, excluded from ruff and mypy).
#   MUTATION_EVERY=N     judge every Nth mutant in name order (deterministic sample); 1 = all (~811,
#                        hours on 2 cores); default 10
#   MUTATION_CHILDREN=N  mutants judged in parallel (default 2: the machine's core count)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
EVERY="${MUTATION_EVERY:-10}"
CHILDREN="${MUTATION_CHILDREN:-2}"
case "$EVERY" in '' | *[!0-9]* | 0)
  echo "MUTATION_EVERY must be a positive integer (got '$EVERY'): 1 judges all mutants" >&2; exit 2 ;;
esac
results() { "$BIN/mutmut" results --all true 2>/dev/null | sed 's/^ *//'; }
if [ "$EVERY" = 1 ]; then
  "$BIN/mutmut" run --max-children "$CHILDREN"
  results | awk -F': ' '{n[$2]++} END {for (s in n) print s, n[s]}'
  exit 0
fi
# Pass 1 generates the mutants and records which scenarios reach which function; the name
# pattern matches no mutant, so no mutant is judged yet.
"$BIN/mutmut" run --max-children "$CHILDREN" "no-such-mutant" >/dev/null
mapfile -t SAMPLE < <(results | cut -d: -f1 | sort -V | awk -v n="$EVERY" 'NR % n == 1')
echo "judging ${#SAMPLE[@]} of $(results | wc -l) mutants (every ${EVERY}th in name order)"
"$BIN/mutmut" run --max-children "$CHILDREN" "${SAMPLE[@]}"
printf '%s\n' "${SAMPLE[@]}" >mutants/sample.txt
results | grep -F -f mutants/sample.txt | tee mutants/sample-results.txt \
  | awk -F': ' '{n[$2]++} END {print "--- sample verdicts"; for (s in n) print s, n[s]}'
