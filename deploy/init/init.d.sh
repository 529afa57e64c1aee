#!/bin/sh
# %SERVICE_NAME%: the pm2 daemon of %USER% and the apps it saved with `pm2 save`.
# Written by `pm2 startup` (upstart/systemv); `pm2 unstartup` removes it.
#
# chkconfig: 345 80 20
# description: pm2 process manager of %USER%
### BEGIN INIT INFO
# Provides:          %SERVICE_NAME%
# Required-Start:    $local_fs $remote_fs $network
# Required-Stop:     $local_fs $remote_fs $network
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: pm2 process manager of %USER%
# Description:       Starts the pm2 daemon and resurrects the saved apps.
### END INIT INFO

PM2="%PM2_PATH%"
PM2_USER="%USER%"
LOCK_FILE="/var/lock/subsys/%SERVICE_NAME%"
export PATH="%NODE_PATH%:$PATH"
export PM2_HOME="%HOME_PATH%"

# /etc/default/%SERVICE_NAME% may set MAX_OPEN_FILES: the daemon's and its apps' `ulimit -n`.
MAX_OPEN_FILES=
if [ -r "/etc/default/%SERVICE_NAME%" ]; then
    . "/etc/default/%SERVICE_NAME%"
fi
if [ -n "$MAX_OPEN_FILES" ]; then
    ulimit -n "$MAX_OPEN_FILES"
fi

# Runs `pm2 <args>` as its user, with a working shell even when the account has none.
pm2_as_user() {
    shell=$(getent passwd "$PM2_USER" | cut -d: -f7)
    case "$shell" in
        "" | */nologin | */false) shell=/bin/sh ;;
    esac
    su - "$PM2_USER" -s "$shell" -c "PATH='$PATH' PM2_HOME='$PM2_HOME' '$PM2' $*"
}

start() {
    echo "Starting pm2 of $PM2_USER"
    pm2_as_user resurrect || return
    touch "$LOCK_FILE" 2>/dev/null
    return 0
}

stop() {
    echo "Stopping pm2 of $PM2_USER"
    pm2_as_user kill
    status=$?
    rm -f "$LOCK_FILE"
    return $status
}

case "$1" in
    start) start ;;
    stop) stop ;;
    restart) stop; start ;;
    reload | force-reload) echo "Reloading the apps of $PM2_USER"; pm2_as_user reload all ;;
    status) pm2_as_user list ;;
    *) echo "Usage: $0 {start|stop|restart|reload|force-reload|status}" >&2; exit 2 ;;
esac
