__tracer__ = __trace__.get_tracer(__name__)
