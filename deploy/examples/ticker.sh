#!/usr/bin/env bash
# Prints a line every TICK_EVERY seconds; stops cleanly on SIGINT (pm2 stop).
trap 'echo "ticker: stopping"; exit 0' INT TERM
n=0
while true; do
  n=$((n + 1))
  echo "tick $n (instance ${NODE_APP_INSTANCE:-0})"
  sleep "${TICK_EVERY:-1}"
done
