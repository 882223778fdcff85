lazycheck verify pagemap-scan-s390 --no-timings
