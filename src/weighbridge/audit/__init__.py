"""Behaviour audits: runtimes, suites, scoring, statistics, the runner and its reports."""
