"""The Discord face of citebot: the client and one module per concern, all on the Service.

Named after the library it wraps; every module here imports ``discord`` absolutely, so
the name means discord.py, never this package.
"""
