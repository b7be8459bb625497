#!/bin/sh
# Writes /pqinterop/provenance.json: the Java runtime JSSE comes with, how the shim runs, and the
# Debian packages that went in.
set -eu
deb() { dpkg-query -W -f='${Version}' "$1"; }
mkdir -p /pqinterop
cat > /pqinterop/provenance.json <<JSON
{"name":"Java JSSE","version":"$(/usr/local/bin/pqi-java version)","build":"SunJSSE of $(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.vm.name = //p') $(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p'); shim Pqi.java compiled with javac 25; JVM: AppCDS archive from a training run, -XX:TieredStopAtLevel=1 -XX:+UseSerialGC; TLS 1.3 only","packages":{"openjdk-25-jre-headless":"$(deb openjdk-25-jre-headless)","debian":"$(cat /etc/debian_version)"}}
JSON
cat /pqinterop/provenance.json
