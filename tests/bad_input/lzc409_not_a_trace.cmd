replay tests/bad_input/lzc409_not_a_trace.json
