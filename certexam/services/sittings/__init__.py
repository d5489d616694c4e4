"""sittings"""
