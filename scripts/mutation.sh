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
# Pass 1 only generates the mutants (to list their names): mutmut writes them, then refuses the
# filter that matches none ("nothing matches"), before running any test; that refusal is expected.
"$BIN/mutmut" run --max-children "$CHILDREN" "gateway.pipeline.no-such-mutant" >/dev/null 2>&1 || true
if [ "$(results | wc -l)" -eq 0 ]; then
  echo "mutmut generated no mutants: run '$BIN/mutmut run' by hand to see why" >&2; exit 1
fi
mapfile -t SAMPLE < <(results | cut -d: -f1 | sort -V | awk -v n="$EVERY" 'NR % n == 1')
echo "judging ${#SAMPLE[@]} of $(results | wc -l) mutants (every ${EVERY}th in name order)"
"$BIN/mutmut" run --max-children "$CHILDREN" "${SAMPLE[@]}"
printf '%s\n' "${SAMPLE[@]}" >mutants/sample.txt
# exact names only (a substring match would count ..._mutmut_11 with ..._mutmut_1)
results | awk -F': ' 'NR == FNR {want[$0]; next} ($1 in want)' mutants/sample.txt - \
  | tee mutants/sample-results.txt \
  | awk -F': ' '{n[$2]++} END {print "--- sample verdicts"; for (s in n) print s, n[s]}'
