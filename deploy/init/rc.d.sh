#!/bin/sh
#
# PROVIDE: %SERVICE_NAME%
# REQUIRE: LOGIN
# KEYWORD: shutdown
#
# The pm2 daemon of %USER% and the apps it saved with `pm2 save`.
# Written by `pm2 startup rcd`, which also sets %SERVICE_NAME%_enable=YES in rc.conf;
# `pm2 unstartup rcd` removes both.

. /etc/rc.subr

name="%SERVICE_NAME%"
rcvar="%SERVICE_NAME%_enable"
extra_commands="reload status"
start_cmd="pm2_as_user resurrect"
stop_cmd="pm2_as_user kill"
reload_cmd="pm2_as_user reload all"
status_cmd="pm2_as_user list"

# Runs `pm2 <args>` as the service's user.
pm2_as_user()
{
	env PATH="$PATH:%NODE_PATH%" PM2_HOME="%HOME_PATH%" su -m "%USER%" -c "'%PM2_PATH%' $*"
}

load_rc_config "$name"
run_rc_command "$1"
