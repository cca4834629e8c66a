"""What runs beside a program: the command line, typed stubs, spec diff, progress lines."""
