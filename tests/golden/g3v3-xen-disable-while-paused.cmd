lazycheck verify g3v3-xen-disable-while-paused --no-timings
