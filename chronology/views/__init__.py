"""Blueprints, one per area of the product."""

from . import admin, auth, children, dsl, exports, home, observations, prompts, pupils, trends

BLUEPRINTS = [auth.bp, home.bp, observations.bp, dsl.bp, children.bp, admin.bp, pupils.bp, prompts.bp,
               exports.bp, trends.bp]
