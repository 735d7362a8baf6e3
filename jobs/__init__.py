"""Scheduled jobs: the scheduler and job list, job runs, retention and erasure; improvement reports in jobs.reports."""
