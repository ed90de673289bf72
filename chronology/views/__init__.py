"""Blueprints, one per area of the product."""

from . import (admin, auth, children, dsl, exports, family, home, observations, profile, prompts, pupils,
               school_settings, trends)

BLUEPRINTS = [auth.bp, home.bp, observations.bp, dsl.bp, children.bp, family.bp, admin.bp, pupils.bp, prompts.bp,
              exports.bp, trends.bp, profile.bp, school_settings.bp]
