lazycheck verify sparc64-preemptible --no-timings
