"""Placeholder."""

from fastapi import APIRouter

router = APIRouter()
