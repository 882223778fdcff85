lazycheck verify kasan-depopulate-no-pause-xen --no-timings
