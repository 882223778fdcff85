lazycheck verify sparc64-preemptible --format mail --no-timings
