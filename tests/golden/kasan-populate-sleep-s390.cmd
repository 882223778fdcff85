lazycheck verify kasan-populate-sleep-s390 --no-timings
