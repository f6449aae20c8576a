"""Diplobrief's domain: frozen values and the rules that need nothing but the standard library.

Every other layer imports from here; this package imports only the standard library, so the
NLP, the storage backends, the services and the renderers can all share one vocabulary.
"""
