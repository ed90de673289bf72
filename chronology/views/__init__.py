"""Blueprints, one per area of the product."""

from . import admin, auth, children, dsl, home, observations, prompts, pupils

BLUEPRINTS = [auth.bp, home.bp, observations.bp, dsl.bp, children.bp, admin.bp, pupils.bp, prompts.bp]
