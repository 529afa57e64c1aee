#!/sbin/openrc-run
# The pm2 daemon of %USER% and the apps it saved with `pm2 save`.
# Written by `pm2 startup openrc`; `pm2 unstartup openrc` removes it.
# To run it as another user, set PM2_USER=<user> in /etc/conf.d/%SERVICE_NAME%.

description="pm2 process manager"
extra_started_commands="reload"

PM2="%PM2_PATH%"
if [ -n "${PM2_USER:-}" ]; then
    user="$PM2_USER"
    PM2_HOME="$(eval echo "~$user")/.pm2"
else
    user="%USER%"
    PM2_HOME="%HOME_PATH%"
fi
export PM2_HOME
export PATH="%NODE_PATH%:$PATH"

depend() {
    need net localmount
    after bootmisc
}

# Runs `pm2 <args>` as the service's user.
pm2_as_user() {
    su -s /bin/sh "$user" -c "PATH='$PATH' PM2_HOME='$PM2_HOME' '$PM2' $*"
}

start() {
    ebegin "Starting pm2 of $user"
    pm2_as_user resurrect
    eend $?
}

stop() {
    ebegin "Stopping pm2 of $user (saving its process list first)"
    pm2_as_user save
    pm2_as_user kill
    eend $?
}

reload() {
    ebegin "Reloading the apps of $user"
    pm2_as_user reload all
    eend $?
}
