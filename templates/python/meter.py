__meter__ = __metrics__.get_meter(__name__)
