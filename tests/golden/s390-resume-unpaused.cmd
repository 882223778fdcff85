lazycheck verify s390-resume-unpaused --no-timings
