__session__.on(__event__, __handler__(__call_site__, plugin=__plugin__, model=__model__, use_case=__use_case__))
return __session__
