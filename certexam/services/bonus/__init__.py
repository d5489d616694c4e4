"""bonus"""
