#!/bin/sh
# The image's command: runs the built $SERVICE with its V8 memory settings from service-memory.conf
# (infra/service-memory.conf, ADR 0032: the `*` line, then the service's own line), ahead of any
# NODE_OPTIONS the deployment sets, which therefore wins where the two set the same flag.
set -euf
flags=$(sed -n -e 's/^\*[[:space:]]\{1,\}//p' -e "s/^${SERVICE}[[:space:]]\{1,\}//p" service-memory.conf)
NODE_OPTIONS="$(echo $flags) ${NODE_OPTIONS:-}"
export NODE_OPTIONS
exec node "dist/apps/${SERVICE}/main.js"
