#!/bin/bash
# `zkServer.sh start-foreground [zoo.cfg]`: ZooKeeper in the foreground, as ZooKeeper's own
# bin/zkServer.sh runs it: -Xmx from ZK_SERVER_HEAP (MB, default 1000), then SERVER_JVMFLAGS and
# JVMFLAGS (a later -Xmx wins). Debian's libzookeeper-java; the classpath starts at $ZOO_CONF_DIR.
set -Eeo pipefail
conf_dir=${ZOO_CONF_DIR:-/conf}
if [ "${1:-}" != start-foreground ]; then
  echo "zkServer.sh: only start-foreground here (the server runs in the container's foreground)" >&2
  exit 2
fi
# shellcheck disable=SC2086 # the flags are words, as zkServer.sh takes them
exec java "-Dzookeeper.log.dir=${ZOO_LOG_DIR:-/logs}" -Dzookeeper.root.logger=INFO,CONSOLE \
  "-Dlog4j.configuration=file:$conf_dir/log4j.properties" \
  -XX:+HeapDumpOnOutOfMemoryError "-XX:OnOutOfMemoryError=kill -9 %p" \
  "-Xmx${ZK_SERVER_HEAP:-1000}m" ${SERVER_JVMFLAGS:-} ${JVMFLAGS:-} \
  -cp "$conf_dir:/usr/share/java/zookeeper.jar" \
  org.apache.zookeeper.server.quorum.QuorumPeerMain "${2:-$conf_dir/zoo.cfg}"
