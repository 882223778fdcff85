lazycheck verify g3v3-resume-unpaused --no-timings
