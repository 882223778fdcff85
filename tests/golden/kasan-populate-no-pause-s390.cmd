lazycheck verify kasan-populate-no-pause-s390 --no-timings
