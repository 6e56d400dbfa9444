# Sourced by run_cases.sh and scaling.sh: how busy the machine is before a run.
# busy_cores: cores in use over the next second (user + nice + system + irq),
# read from /proc/stat while the calling script is idle, i.e. other jobs.
# wait_quiet: with QUIET=X (e.g. 0.3), wait until three samples in a row are
# below X cores (at most QUIET_MAX_WAIT s, default 900); prints the last sample.
busy_cores() {
  local a b
  read -ra a < /proc/stat; sleep 1; read -ra b < /proc/stat
  awk -v u="$(( (b[1]+b[2]+b[3]+b[6]+b[7]) - (a[1]+a[2]+a[3]+a[6]+a[7]) ))" \
      -v t="$(( (b[1]+b[2]+b[3]+b[4]+b[5]+b[6]+b[7]) - (a[1]+a[2]+a[3]+a[4]+a[5]+a[6]+a[7]) ))" -v n="$(nproc)" \
      'BEGIN { printf "%.2f", (t > 0 ? n * u / t : 0) }'
}
wait_quiet() {
  local x k=0 t0=$SECONDS
  x=$(busy_cores)
  [ -z "${QUIET:-}" ] && { echo "$x"; return; }
  while [ $((SECONDS - t0)) -lt "${QUIET_MAX_WAIT:-900}" ]; do
    if awk -v x="$x" -v q="$QUIET" 'BEGIN { exit !(x < q) }'; then k=$((k + 1)); else k=0; fi
    [ $k -ge 3 ] && break
    x=$(busy_cores)
  done
  echo "$x"
}
