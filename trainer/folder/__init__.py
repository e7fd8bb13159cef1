"""The models folder: writing pairs, listing them, signing, scoring, promotion and retention."""
