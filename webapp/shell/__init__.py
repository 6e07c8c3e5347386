"""The frame every page lives in: navigation, team scope and switcher, language, home."""
