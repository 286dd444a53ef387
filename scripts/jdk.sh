# Sourced by ./vbuf, ./test and .ci/run: finds a JDK 25 (or newer) and exports JAVA_HOME.
# Order: $JAVA_HOME if it is 25+, then the newest 25+ JDK under /usr/lib/jvm (or $VBUF_JVM_DIR).
vbuf_java_feature() { # prints the feature version of "$1/bin/java", or nothing
  [ -x "$1/bin/java" ] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}
vbuf_find_jdk() {
  local v
  if [ -n "${JAVA_HOME:-}" ]; then
    v=$(vbuf_java_feature "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge 25 ] && [ -x "$JAVA_HOME/bin/javac" ]; then return 0; fi
  fi
  local best="" bestv=0 d
  for d in "${VBUF_JVM_DIR:-/usr/lib/jvm}"/*; do
    [ -d "$d" ] && [ -x "$d/bin/javac" ] || continue
    v=$(vbuf_java_feature "$d")
    if [ -n "$v" ] && [ "$v" -ge 25 ] && [ "$v" -gt "$bestv" ]; then best=$d; bestv=$v; fi
  done
  if [ -z "$best" ]; then
    echo "vbuf needs a JDK 25 or newer: none in JAVA_HOME or ${VBUF_JVM_DIR:-/usr/lib/jvm}; install one (e.g. 'apt-get install temurin-25-jdk' or 'openjdk-25-jdk') or set JAVA_HOME." >&2
    return 1
  fi
  export JAVA_HOME=$best
}
