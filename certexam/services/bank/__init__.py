"""The question bank: import (all or nothing), editing, four-eyes review, export, and the per-process item cache."""
