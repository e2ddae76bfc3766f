#!/usr/bin/env bash
# A local RabbitMQ for the integration tests (test/integration), on loopback only.
#   install  Debian's rabbitmq-server + management plugin, node name pinned (idempotent)
#   start    starts the node if needed and waits (bounded) until the management API answers
#   stop     stops the node (idempotent: nothing running, or not installed, is fine)
# Environment: RABBITMQ_START_TIMEOUT (seconds, default 120). CI runs it as root; elsewhere sudo is used.
set -euo pipefail

API="http://127.0.0.1:15672/api/overview"
TIMEOUT="${RABBITMQ_START_TIMEOUT:-120}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

log() { echo "rabbitmq.sh: $*" >&2; }

api_answers() { curl -fsS -m 2 -u guest:guest -o /dev/null "$API" 2>/dev/null; }

install() {
  if ! command -v rabbitmq-server >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
    log "installing rabbitmq-server (Debian package)"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends rabbitmq-server curl
  fi
  $SUDO mkdir -p /etc/rabbitmq
  # A fixed node name: the default rabbit@$(hostname) breaks when the hostname does not resolve.
  # Loopback only, epmd and Erlang distribution included: nothing but this machine may reach it.
  $SUDO tee /etc/rabbitmq/rabbitmq-env.conf >/dev/null <<'EOF'
NODENAME=rabbit@localhost
export ERL_EPMD_ADDRESS=127.0.0.1
EOF
  $SUDO tee /etc/rabbitmq/rabbitmq.conf >/dev/null <<'EOF'
listeners.tcp.default = 127.0.0.1:5672
distribution.listener.interface = 127.0.0.1
management.tcp.ip = 127.0.0.1
management.tcp.port = 15672
EOF
  $SUDO rabbitmq-plugins enable --offline rabbitmq_management >/dev/null
  log "installed: $(dpkg-query -W -f='${Version}' rabbitmq-server 2>/dev/null || echo unknown)"
}

start() {
  if api_answers; then log "management API already answers at $API"; return 0; fi
  command -v rabbitmq-server >/dev/null 2>&1 || { log "rabbitmq-server is not installed: run '$0 install' first"; exit 1; }
  log "starting rabbit@localhost"
  $SUDO rabbitmq-server -detached
  local deadline=$((SECONDS + TIMEOUT))
  # await_startup exits 69 until the node has registered with epmd: retry it, bounded.
  until $SUDO timeout 20 rabbitmqctl -q await_startup --timeout 15 >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "node did not start within ${TIMEOUT}s; last log lines:"
      $SUDO sh -c 'tail -n 30 /var/log/rabbitmq/rabbit@localhost.log' >&2 || true
      exit 1
    fi
    sleep 1
  done
  until api_answers; do
    if [ "$SECONDS" -ge "$deadline" ]; then log "management API did not answer at $API within ${TIMEOUT}s"; exit 1; fi
    sleep 1
  done
  log "management API answers at $API (${SECONDS}s)"
}

stop() {
  command -v rabbitmqctl >/dev/null 2>&1 || { log "not installed: nothing to stop"; return 0; }
  if $SUDO rabbitmqctl -q stop --idempotent >/dev/null 2>&1; then log "stopped"; else log "rabbitmqctl stop failed (ignored)"; fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
