lazycheck verify g3-resume-unpaused --no-timings
