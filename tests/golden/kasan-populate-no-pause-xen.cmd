lazycheck verify kasan-populate-no-pause-xen --no-timings
