lazycheck verify kasan-release-arm64-rfc --no-timings
