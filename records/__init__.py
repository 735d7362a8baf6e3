"""Consultation records: customers, agents, teams, roles, masking, import and export."""
