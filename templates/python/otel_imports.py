from opentelemetry import __names__
