"""`composegen plan`: how many hosts a stack needs, which replicas go where, and a scale-up schedule.

`packing` packs replicas onto hosts (pure); `capacity` builds the plan from the calculators'
numbers; `report` prints it as text or JSON.
"""
