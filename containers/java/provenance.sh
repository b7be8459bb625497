#!/bin/sh
# Writes /pqinterop/provenance.json: the Java runtime JSSE comes with, how the shim runs, and the
# Debian package the jlinked runtime was made from.
set -eu
prop() { /opt/jre/bin/java -XshowSettings:properties -version 2>&1 | sed -n "s/^ *$1 = //p"; }
mkdir -p /pqinterop
cat > /pqinterop/provenance.json <<JSON
{"name":"Java JSSE","version":"$(/usr/local/bin/pqi-java version)","build":"SunJSSE of $(prop java.vm.name) $(prop java.runtime.version); runtime jlinked with java.base,java.logging; shim Pqi.java; JVM: AppCDS archive from a training run, -XX:TieredStopAtLevel=1 -XX:+UseSerialGC; TLS 1.3 only","packages":{"openjdk-25-jdk-headless":"$(cat /opt/jre/debian-version)","debian":"$(cat /etc/debian_version)"}}
JSON
cat /pqinterop/provenance.json
