-- A device's maker and model as its pushes say ("HUAWEI BAH3-W09"), so the device board
-- names tablets by what is written on them, beside their owner.
ALTER TABLE devices ADD COLUMN model TEXT;
